/** parquetjs-lite's Thrift classes and decoder, used by jobs/parquet-columns.ts to read column chunks directly. */
declare module 'parquetjs-lite/gen-nodejs/parquet_types.js' {
  interface ThriftStruct {
    read(protocol: unknown): void;
  }
  export const PageHeader: new () => ThriftStruct & Record<string, any>;
  export const FileMetaData: new () => ThriftStruct & Record<string, any>;
}
declare module 'parquetjs-lite/lib/util.js' {
  export function decodeThrift(obj: unknown, buf: Buffer, offset?: number): number;
}
