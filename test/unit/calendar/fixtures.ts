import { readFileSync } from 'node:fs';

/** Text of a fixture in test/fixtures/ical/. */
export function fixture(name: string): string {
  return readFileSync(new URL(`../../fixtures/ical/${name}`, import.meta.url), 'utf8');
}

/** Content lines of iCalendar text, unfolded (RFC 5545 §3.1). */
export function contentLines(text: string): string[] {
  return text.replace(/\r\n[ \t]/g, '').split('\r\n').filter((line) => line !== '');
}
