// Types for the part of seek-bzip this folder uses (the package ships none).

declare module 'seek-bzip' {
  namespace Bunzip {
    /** seek-bzip's byte source and sink: `readByte` returns the next byte (it may throw at the end). */
    interface ByteStream {
      readByte(): number;
      read(buffer: Buffer, offset: number, length: number): number;
      writeByte(byte: number): void;
    }
  }

  /** One bzip2 stream's decoder; the underscored methods are the block steps its own `decode` runs. */
  class Bunzip {
    constructor(input: Bunzip.ByteStream, output: Bunzip.ByteStream);
    streamCRC: number;
    reader: { read(bits: number): number };
    _init_block(): boolean;
    _read_bunzip(): number;
  }
  export = Bunzip;
}
