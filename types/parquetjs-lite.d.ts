/** The small part of parquetjs-lite that bench:parquet-writers uses (the package ships no types). */
declare module 'parquetjs-lite' {
  export interface ParquetField {
    name: string;
    path: string[];
    primitiveType: string;
    originalType?: string;
    dLevelMax: number;
    isNested?: boolean;
  }
  export class ParquetSchema {
    constructor(fields: Record<string, { type: string; optional?: boolean; compression?: string }>);
    fieldList: ParquetField[];
  }
  export class ParquetWriter {
    static openFile(schema: ParquetSchema, path: string, opts?: { rowGroupSize?: number; pageSize?: number }): Promise<ParquetWriter>;
    appendRow(row: Record<string, unknown>): Promise<void>;
    close(): Promise<void>;
    rowBuffer: unknown;
  }
  const parquet: { ParquetSchema: typeof ParquetSchema; ParquetWriter: typeof ParquetWriter };
  export default parquet;
}
declare module 'parquetjs-lite/lib/types.js' {
  export function toPrimitive(type: string, value: unknown): unknown;
}
