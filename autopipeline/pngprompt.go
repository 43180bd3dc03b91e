package autopipeline

import "strings"

const negativePrefix = "Negative prompt: "

// escapePromptLines prefixes with a backslash every line of a prompt, from
// line first on, that would otherwise read as the start of the negative
// prompt, or that starts with a backslash itself. (The negative prompt's
// first line follows "Negative prompt: " and needs no escape.)
func escapePromptLines(s string, first int) string {
	if !strings.Contains(s, negativePrefix) && !strings.Contains(s, `\`) {
		return s
	}
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if i >= first && (strings.HasPrefix(l, negativePrefix) || strings.HasPrefix(l, `\`)) {
			lines[i] = `\` + l
		}
	}
	return strings.Join(lines, "\n")
}

// splitPrompts reads the prompt lines of a parameters text (all but the
// settings line): the prompt, then from the first unescaped line starting
// with "Negative prompt: " the negative prompt (which may span lines).
// Escaped lines lose their leading backslash.
func splitPrompts(lines []string) (prompt, negative string) {
	var pos, neg []string
	inNeg := false
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, `\`):
			l = l[1:]
		case !inNeg && strings.HasPrefix(l, negativePrefix):
			inNeg = true
			l = strings.TrimPrefix(l, negativePrefix)
			neg = append(neg, l)
			continue
		}
		if inNeg {
			neg = append(neg, l)
		} else {
			pos = append(pos, l)
		}
	}
	return strings.Join(pos, "\n"), strings.Join(neg, "\n")
}
