// The part of html-to-text 10 (mailparser's own HTML-to-text converter, also used directly by
// sanitize-thread.ts) that the bridge calls; the package ships no types.
declare module 'html-to-text' {
  export function convert(html: string, options?: { limits?: { maxDepth?: number } }): string;
}
