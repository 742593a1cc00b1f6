/**
 * The URL the bridge hands out in links (free/busy publication URLs): `server.publicUrl`, or else
 * the configured listen address. Never the request's Host header: a client chooses that header,
 * and a URL built from it (with a user's free/busy token in it) could point at a host of the
 * client's choosing (host header injection, OWASP WSTG-INPV-17). Pure.
 */
export interface ServerAddress {
  listen: string;
  publicUrl?: string | undefined;
}

/** `127.0.0.1:8080` -> host and port; `[::1]:8080` -> `::1` and 8080. */
export function parseListen(listen: string): { host: string; port: number } {
  const index = listen.lastIndexOf(':');
  return { host: listen.slice(0, index).replace(/^\[|\]$/g, ''), port: Number(listen.slice(index + 1)) };
}

/** No trailing slash. `boundPort`: the port actually bound when `listen` names port 0. */
export function publicBaseUrl(server: ServerAddress, boundPort?: number): string {
  if (server.publicUrl) return server.publicUrl.replace(/\/+$/, '');
  const { host, port } = parseListen(server.listen);
  const shownPort = port === 0 && boundPort !== undefined ? boundPort : port;
  return `http://${host.includes(':') ? `[${host}]` : host}:${shownPort}`;
}
