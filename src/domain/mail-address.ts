/** An address from a mail header or a calendar attendee (RFC 5322 §3.4 mailbox: display name and addr-spec). */
export interface MailAddress {
  /** Lower-case is NOT applied here; compare with normalizeEmail(). */
  address: string;
  name: string | null;
}
