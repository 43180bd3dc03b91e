package main

import (
	"flag"
	"fmt"
	"strings"

	"github.com/goautopipe/diffusers/autopipeline"
)

// aliaser declares flags under several names: the first is the main name
// (diffusers'), the others are aliases sharing its value.
type aliaser struct{ fs *flag.FlagSet }

// aliasPrefix marks an alias's usage text; it holds the main name.
const aliasPrefix = "\x00alias of "

func (a aliaser) str(p *string, def, usage string, names ...string) {
	a.fs.StringVar(p, names[0], def, usage)
	a.alias(names[0], names[1:]...)
}

func (a aliaser) int(p *int, def int, usage string, names ...string) {
	a.fs.IntVar(p, names[0], def, usage)
	a.alias(names[0], names[1:]...)
}

func (a aliaser) float(p *float64, def float64, usage string, names ...string) {
	a.fs.Float64Var(p, names[0], def, usage)
	a.alias(names[0], names[1:]...)
}

func (a aliaser) bool(p *bool, usage string, names ...string) {
	a.fs.BoolVar(p, names[0], false, usage)
	a.alias(names[0], names[1:]...)
}

// alias adds other names for the flag main.
func (a aliaser) alias(main string, aliases ...string) {
	f := a.fs.Lookup(main)
	for _, n := range aliases {
		a.fs.Var(f.Value, n, aliasPrefix+main)
	}
}

// mainName is the main name of a flag given under any of its names.
func mainName(f *flag.Flag) string {
	if m, ok := strings.CutPrefix(f.Usage, aliasPrefix); ok {
		return m
	}
	return f.Name
}

// dash writes a flag name as it is usually typed: -x for one letter,
// --name otherwise.
func dash(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// printFlags lists the flags, each with its aliases: "-p, --prompt string".
func printFlags(fs *flag.FlagSet) {
	aliases := map[string][]string{}
	fs.VisitAll(func(f *flag.Flag) {
		if m := mainName(f); m != f.Name {
			aliases[m] = append(aliases[m], f.Name)
		}
	})
	fs.VisitAll(func(f *flag.Flag) {
		if mainName(f) != f.Name {
			return
		}
		typ, help := flag.UnquoteUsage(f)
		var names []string
		for _, n := range aliases[f.Name] {
			if len(n) == 1 {
				names = append(names, dash(n))
			}
		}
		names = append(names, dash(f.Name))
		for _, n := range aliases[f.Name] {
			if len(n) > 1 {
				names = append(names, dash(n))
			}
		}
		line := "  " + strings.Join(names, ", ")
		if typ != "" {
			line += " " + typ
		}
		line += "\n    \t" + help
		switch d := f.DefValue; {
		case d == "" || d == "0" || d == "false":
		case typ == "string":
			line += fmt.Sprintf(" (default %q)", d)
		default:
			line += " (default " + d + ")"
		}
		fmt.Fprintln(fs.Output(), line)
	})
}

// samplerNames lists the samplers' short names.
func samplerNames() string {
	var names []string
	for _, s := range autopipeline.Samplers() {
		names = append(names, s.Short)
	}
	return strings.Join(names, ", ")
}
