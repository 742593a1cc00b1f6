/** Warnings in the order found, each once (a broken charset repeated in ten parts is one problem). */
export class WarningList {
  private readonly items = new Set<string>();
  add(message: string): void {
    this.items.add(message);
  }
  list(): string[] {
    return [...this.items];
  }
}


/** A header value as it appears in a warning: quoted, and cut at 80 characters. */
export function quote(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}
