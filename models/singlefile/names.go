package singlefile

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/goautopipe/diffusers/models/weights"
)

// target is one diffusers tensor made from a checkpoint tensor.
type target struct {
	name string
	mp   weights.Mapping
}

// converter maps one checkpoint tensor (its name with the component prefix
// removed) to the diffusers tensors made from it: none to drop it, an
// error for a name the layout does not know.
type converter func(name string, info weights.Info) ([]target, error)

// same is the identity conversion of one tensor.
func same(from, to string) []target { return []target{{name: to, mp: weights.Mapping{From: from}}} }

// cutPrefix returns rest and true when name is p + "." + rest.
func cutPrefix(name, p string) (string, bool) { return strings.CutPrefix(name, p+".") }

// splitIndex splits "12.rest" into 12 and "rest".
func splitIndex(s string) (int, string, bool) {
	i := strings.IndexByte(s, '.')
	if i <= 0 {
		return 0, "", false
	}
	n, err := strconv.Atoi(s[:i])
	if err != nil || n < 0 {
		return 0, "", false
	}
	return n, s[i+1:], true
}

// renameParts replaces a leading dotted component of rest using table
// (e.g. "in_layers.0" -> "norm1"); names not in table are returned as is.
func renameParts(rest string, table [][2]string) string {
	for _, r := range table {
		if tail, ok := strings.CutPrefix(rest, r[0]+"."); ok {
			return r[1] + "." + tail
		}
	}
	return rest
}

// errUnknown reports a tensor name the layout does not know.
func errUnknown(name string) error { return fmt.Errorf("unknown tensor %s", name) }
