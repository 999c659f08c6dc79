// ES2024 string methods Node 20 has (V8 11.3) but TypeScript's ES2023 lib does not declare.
interface String {
  /** Whether the string holds no lone surrogate. */
  isWellFormed(): boolean;
  /** The string with every lone surrogate replaced by U+FFFD. */
  toWellFormed(): string;
}
