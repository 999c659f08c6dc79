/**
 * A parsed JSON answer, read field by field in tests. The one place `any` is allowed: each
 * test asserts the fields it reads, so a wrong shape fails an assertion, not the compiler.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Json = any;
