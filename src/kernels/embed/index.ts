/**
 * The hashed text-embedding kernel (assembly/embed.ts): word, word-bigram and character-trigram
 * features plus concept tags of prepared texts, signed-hashed into a fixed dimension, sub-linear
 * weighted and L2-normalised, in wasm (`HashedKernel`, wasm.ts) or in its bit-compatible TS
 * twin (`hashedEmbedTwin`, twin.ts). Preparing texts (tokens, thesaurus concepts) is retrieval's
 * job: `HashedEmbedder` in src/rag builds on this kernel.
 */
export { hashedEmbedTwin, MAX_EMBED_DIM, type FeatureWeights } from './twin.ts';
export { HashedKernel, init } from './wasm.ts';
