/**
 * The safety rail of DESIGN.md principle 5, one rule for calendars, task lists and address books:
 * a side that suddenly shows nothing while several items the bridge synced would go (a wiped or
 * replaced collection, a server answering with an empty listing, a CRM filter that selects no
 * one) is not believed. Nothing is deleted on the other side until an admin resets the pair. Pure.
 */

/** Fewer synced items than this vanishing at once is believable (a user clearing two cards). */
export const MASS_DELETION_MINIMUM = 3;

/**
 * `remaining`: what the side still shows; `removed`: how many synced items would be deleted on the
 * other side because of it.
 */
export function looksEmptied(remaining: number, removed: number, minimum = MASS_DELETION_MINIMUM): boolean {
  return remaining <= 0 && removed >= minimum;
}

/** A collection that lost every one of the `known` items the bridge synced into it (`deleted` of them gone). */
export function holdMassDeletion(known: number, deleted: number, minimum = MASS_DELETION_MINIMUM): boolean {
  return looksEmptied(known - deleted, deleted, minimum);
}
