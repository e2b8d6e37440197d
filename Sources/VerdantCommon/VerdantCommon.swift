// VerdantCommon: the one home for code that several modules need (issue 14) — reading /proc and
// other system files, atomic file output, ordered JSON text, timing statistics, CSV quoting and
// the choice between wide (AVX2) and portable loops. It depends on Foundation alone, and every
// other Verdant module may import it. Nothing here knows about quantum circuits, keys or energy.
