/**
 * A small E.164 normaliser (ITU-T E.164: "+", country code, national number, at most 15 digits)
 * for duplicate matching and for comparing phone lists. Not a full numbering-plan library: it
 * removes formatting, an extension and the national trunk prefix, and prefixes the country code of
 * a configured default region. Numbers it cannot place return null and are compared by digits.
 */

/** Calling codes of the regions people most often configure (ISO 3166-1 alpha-2). */
const CALLING_CODES: Record<string, string> = {
  AT: '43', AU: '61', BE: '32', BR: '55', CA: '1', CH: '41', CN: '86', CZ: '420', DE: '49', DK: '45',
  ES: '34', FI: '358', FR: '33', GB: '44', GR: '30', HU: '36', IE: '353', IN: '91', IT: '39', JP: '81',
  LU: '352', MX: '52', NL: '31', NO: '47', NZ: '64', PL: '48', PT: '351', RO: '40', RU: '7', SE: '46',
  SG: '65', SK: '421', TR: '90', UA: '380', US: '1', ZA: '27',
};

/** Regions whose numbers carry no trunk prefix ("0") in national form (Italy keeps its 0). */
const NO_TRUNK_STRIP = new Set(['39']);

export function isKnownRegion(region: string): boolean {
  return region.toUpperCase() in CALLING_CODES;
}

export function knownRegions(): string[] {
  return Object.keys(CALLING_CODES);
}

/** `+4930123456` from `+49 (0)30 123-456`, `0049 30 123456` or (region DE) `030 123456`; null when it cannot tell. */
export function toE164(raw: string, region: string | null = null): string | null {
  // Drop an extension: "x12", "ext. 12", "#12", ";ext=12" (RFC 3966 §5.1.5).
  const main = raw.replace(/(?:;ext=|\s*(?:ext\.?|x|#)\s*)\d+\s*$/i, '').replace(/^tel:/i, '');
  const plus = /^\s*\+/.test(main);
  // "+49 (0)30": the "(0)" is the trunk prefix shown for national callers.
  const digits = main.replace(/\(0\)/g, '').replace(/\D/g, '');
  if (digits === '') return null;
  let international: string | null = null;
  if (plus) international = digits;
  else if (digits.startsWith('00')) international = digits.slice(2);
  else if (region !== null) {
    const code = CALLING_CODES[region.toUpperCase()];
    if (code === undefined) return null;
    if (code === '1') international = digits.length === 11 && digits.startsWith('1') ? digits : `1${digits}`;
    else international = `${code}${NO_TRUNK_STRIP.has(code) ? digits : digits.replace(/^0/, '')}`;
  }
  if (international === null || international.length < 8 || international.length > 15 || international.startsWith('0')) return null;
  return `+${international}`;
}

/** The key two phone numbers are compared by: E.164 when possible, else the bare digits. */
export function phoneKey(raw: string, region: string | null = null): string {
  return toE164(raw, region) ?? raw.replace(/\D/g, '');
}
