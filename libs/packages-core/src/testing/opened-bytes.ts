import type { OpenedBlob } from '../packages/package-download.service';

/** The bytes an opened blob would send: from memory, or read off its stream (tests). */
export async function openedBytes(opened: OpenedBlob): Promise<Buffer> {
  if (opened.kind === 'bytes') return opened.bytes;
  if (opened.kind !== 'stream') throw new Error(`expected bytes to send, got a ${opened.kind}`);
  const chunks: Buffer[] = [];
  for await (const chunk of opened.stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
