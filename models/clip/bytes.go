package clip

// byteLevelAlphabet returns the GPT-2/CLIP byte-to-unicode table: printable
// Latin-1 bytes map to themselves, all other bytes to code points from 256 up,
// in byte order.
func byteLevelAlphabet() [256]string {
	var table [256]string
	printable := func(b int) bool {
		return (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF)
	}
	next := 256
	for b := 0; b < 256; b++ {
		if printable(b) {
			table[b] = string(rune(b))
		} else {
			table[b] = string(rune(next))
			next++
		}
	}
	return table
}
