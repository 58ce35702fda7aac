import { portablePdb } from '../../../../test/support/clients/nuget';
import { portablePdbId } from './portable-pdb';

describe('Portable PDB id', () => {
  it('reads the #Pdb stream GUID as debuggers ask for it (first three fields byte-swapped)', () => {
    const pdb = portablePdb('d910bb69-48bd-4c6c-b401-55bcf52c3c94');
    expect(portablePdbId(pdb, 'test.pdb')).toBe('d910bb6948bd4c6cb40155bcf52c3c94');
  });

  it('refuses Windows PDBs, truncated headers and PDBs without a #Pdb stream', () => {
    const windows = Buffer.from('Microsoft C/C++ MSF 7.00\r\n\x1aDS\0\0\0', 'latin1');
    expect(() => portablePdbId(windows, 'a.pdb')).toThrow(/not a Portable PDB: no BSJB/);
    const pdb = portablePdb('00000000-0000-0000-0000-000000000001');
    expect(() => portablePdbId(pdb.subarray(0, 30), 'a.pdb')).toThrow(/not a Portable PDB/);
    const renamed = Buffer.from(pdb);
    renamed.write('#Pdx', renamed.indexOf('#Pdb'), 'latin1');
    expect(() => portablePdbId(renamed, 'a.pdb')).toThrow(/no #Pdb stream/);
  });
});
