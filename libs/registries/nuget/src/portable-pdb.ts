import { InvalidArtifactError } from '@wharf/packages-core';

/*
 * The id of a Portable PDB (docs/protocols/nuget.md §3, symbol packages): the metadata
 * root of ECMA-335 §II.24.2.1 (signature `BSJB`, version string, stream headers), whose
 * `#Pdb` stream opens with the 20-byte PDB id (Portable PDB v1.0 spec, "PDB Stream").
 * Debuggers ask the symbol server for `{guid}FFFFFFFF`: the id's GUID as 32 hex digits,
 * its first three fields in the byte order of the GUID's text form.
 */

const SIGNATURE = 0x424a5342; // "BSJB"
const MAX_STREAMS = 64;

/** The PDB id of a Portable PDB as 32 lower-case hex digits; 400 for anything else. */
export function portablePdbId(pdb: Buffer, name: string): string {
  const bad = (why: string) => new InvalidArtifactError(`${name} is not a Portable PDB: ${why}`);
  const u32 = (at: number) => {
    if (at + 4 > pdb.length) throw bad('it ends inside its metadata header');
    return pdb.readUInt32LE(at);
  };
  if (pdb.length < 4 || pdb.readUInt32LE(0) !== SIGNATURE)
    throw bad(
      'no BSJB signature (Windows PDBs are not accepted: build with <DebugType>portable</DebugType>)',
    );
  const versionLength = u32(12);
  let at = 16 + versionLength + 2; // version string, flags
  if (at + 2 > pdb.length) throw bad('it ends inside its metadata header');
  const streams = pdb.readUInt16LE(at);
  at += 2;
  for (let i = 0; i < Math.min(streams, MAX_STREAMS); i++) {
    const offset = u32(at);
    const size = u32(at + 4);
    at += 8;
    const end = pdb.indexOf(0, at);
    if (end < 0 || end - at > 32) throw bad('a stream name is not terminated');
    const streamName = pdb.toString('latin1', at, end);
    at += (Math.floor((end - at) / 4) + 1) * 4; // the name and its terminator, padded to 4
    if (streamName !== '#Pdb') continue;
    if (size < 20 || offset + 20 > pdb.length) throw bad('its #Pdb stream is truncated');
    return guidHex(pdb.subarray(offset, offset + 16));
  }
  throw bad('it has no #Pdb stream');
}

function guidHex(g: Buffer): string {
  const hex = (n: number, digits: number) => n.toString(16).padStart(digits, '0');
  return (
    hex(g.readUInt32LE(0), 8) +
    hex(g.readUInt16LE(4), 4) +
    hex(g.readUInt16LE(6), 4) +
    g.subarray(8, 16).toString('hex')
  );
}
