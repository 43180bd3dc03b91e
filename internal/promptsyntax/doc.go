// Package promptsyntax reads prompts written in AUTOMATIC1111's prompt
// syntax, the one the web UIs, ComfyUI and civitai prompts use:
//
//		a (red:1.3) circle, ((sharp)), [blurry], BREAK on a blue background
//
//	  - (text) multiplies the attention to text by 1.1, ((text)) by 1.21;
//	  - [text] divides it by 1.1;
//	  - (text:1.3) sets the multiplier to 1.3 (inside other brackets it multiplies theirs);
//	  - \( \) \[ \] are literal brackets;
//	  - BREAK (upper case, a word of its own) ends the current 75-token chunk;
//	  - an unclosed bracket weights everything after it.
//
// Parse splits a prompt into fragments of text and weight; Chunks
// tokenizes them into CLIP windows of 75 tokens (77 with the start and end
// tokens), any number of them, moving the words after a nearby comma into
// the next window as A1111 does; Emphasize scales a window's CLIP hidden
// states by the weights and restores their original mean ("Original"
// emphasis). The windows are encoded one by one and concatenated along the
// token axis, so a long prompt is no longer cut at 77 tokens.
//
// This is not what diffusers does: diffusers reads brackets and BREAK as
// plain text and truncates at 77 tokens. The pipelines use this package
// only when a request asks for it.
package promptsyntax
