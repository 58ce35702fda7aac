import type { IncomingMessage, Server, ServerResponse } from 'node:http';

/*
 * How the server treats request bodies it has not read yet.
 *
 * `Expect: 100-continue` (RFC 9110 §10.1.1): Node answers `100 Continue` as soon as the
 * headers arrive, before any guard ran, so a client without credentials (curl and Maven
 * send Expect on large uploads) uploads its whole body only to read a 401. Here the
 * interim answer is sent only when a handler starts reading the body, i.e. after
 * authentication, permission and the declared-size check have passed.
 *
 * A response sent while the request body is still unread (a refusal before or during the
 * upload) carries `Connection: close`: the rest of the body is never read, and a keep-alive
 * client does not send its next request on a connection the server is about to drop.
 */
export function installRequestBodyPolicy(server: Server): void {
  server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
    continueOnFirstRead(req, res);
    server.emit('request', req, res);
  });
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    closeIfBodyUnread(req, res);
  });
}

/** Sends `100 Continue` once, when something starts consuming the body. */
function continueOnFirstRead(req: IncomingMessage, res: ServerResponse): void {
  let sent = false;
  const onListener = (event: string | symbol) => {
    if (sent || (event !== 'data' && event !== 'readable')) return;
    sent = true;
    req.off('newListener', onListener);
    if (!res.headersSent) res.writeContinue();
  };
  req.on('newListener', onListener);
}

function hasBody(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return (length !== undefined && length !== '0') || req.headers['transfer-encoding'] !== undefined;
}

/** Marks the response `Connection: close` when it starts before the body was read to its end. */
function closeIfBodyUnread(req: IncomingMessage, res: ServerResponse): void {
  if (!hasBody(req)) return;
  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    if (!req.complete && !this.headersSent) this.setHeader('Connection', 'close');
    return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as ServerResponse['writeHead'];
}
