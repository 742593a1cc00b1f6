/**
 * Cut secrets (passwords, Basic auth tokens) out of a message before it is logged, stored as a
 * sync error or shown: each occurrence that stands as a whole token becomes `***`.
 *
 * "Whole token": where the secret starts with a letter or digit, the character before it must not
 * be one, and likewise after its end; so a one-letter password `a` masks a lone `a` or `:a@` but
 * leaves "bad password" readable. Replacing every substring instead would blank that letter in
 * every word of the message (and point at the password by what went missing). A secret that is
 * only part of a longer word is not the password on the wire either.
 */
const wordCharacter = /[\p{L}\p{N}_]/u;

function escapeRegExp(text: string): string {
  // Only the syntax characters: under the `u` flag escaping anything else (such as `-`) is an error.
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}

export function maskSecrets(text: string, secrets: readonly (string | undefined)[] | undefined): string {
  let out = text;
  for (const secret of secrets ?? []) {
    if (secret === undefined || secret === '') continue;
    const chars = [...secret];
    const before = wordCharacter.test(chars[0]!) ? '(?<![\\p{L}\\p{N}_])' : '';
    const after = wordCharacter.test(chars[chars.length - 1]!) ? '(?![\\p{L}\\p{N}_])' : '';
    out = out.replace(new RegExp(`${before}${escapeRegExp(secret)}${after}`, 'gu'), '***');
  }
  return out;
}
