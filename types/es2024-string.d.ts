/** String.prototype.isWellFormed (Node 20) without moving the whole build to the ES2024 lib. */
/// <reference lib="es2024.string" />
