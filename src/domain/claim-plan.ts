/**
 * The fair share of sources among the live bridge processes (issue 14): each takes at most
 * ceil(sources / live processes) and gives back what it holds above that when others join, so
 * the sources spread out and a dead process's share is taken over by the others. Pure: the
 * claims implementation asks, then tries the locks in the order given.
 */
export interface ClaimState {
  /** Every configured source id (the same list in every process). */
  sources: readonly string[];
  /** What this process holds now. */
  held: ReadonlySet<string>;
  /** Live processes, this one included. */
  live: number;
  /**
   * Where this process starts looking among the sources (a random number fixed per process), so
   * that processes starting together try different sources first instead of racing for the same.
   */
  offset: number;
  /** How many sources each other live process holds, by a rank every process sees alike (its session id). */
  peers?: readonly { rank: number; held: number }[];
  rank?: number;
}

export interface ClaimPlan {
  share: number;
  /** Held above the share: to give back. */
  release: string[];
  /** Not held, in the order to try, while fewer than `share` are held. */
  candidates: string[];
}

export function planClaims(state: ClaimState): ClaimPlan {
  const { sources, held } = state;
  const share = sources.length === 0 ? 0 : Math.ceil(sources.length / Math.max(1, state.live));
  const start = sources.length === 0 ? 0 : ((state.offset % sources.length) + sources.length) % sources.length;
  const rotated = [...sources.slice(start), ...sources.slice(0, start)];
  const mine = rotated.filter((id) => held.has(id));
  // Keep the first ones of this process's own order, give back the last: stable across ticks.
  let release = mine.length > share ? mine.slice(share) : [];
  // ceil() lets shares of 3, 3 and 1 stand for 7 sources; when a peer holds less than the even
  // split, the first (by rank) of those at the full share gives one back for it to take.
  const even = Math.floor(sources.length / Math.max(1, state.live));
  const peers = state.peers ?? [];
  if (release.length === 0 && mine.length === share && share > even && peers.some((peer) => peer.held < even)) {
    const full = [...peers.filter((peer) => peer.held === share).map((peer) => peer.rank), state.rank ?? 0];
    if (Math.min(...full) === (state.rank ?? 0)) release = mine.slice(share - 1);
  }
  const candidates = mine.length < share ? rotated.filter((id) => !held.has(id)) : [];
  return { share, release, candidates };
}
