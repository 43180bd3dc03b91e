package unet

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/goautopipe/diffusers/internal/testutil"
	"github.com/goautopipe/diffusers/models/nn"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// walkTagged calls visit on every non-nil pointer reached from v through
// pointers, slices and `st`-tagged struct fields, with its checkpoint name;
// visit returns true when it handled the value, which stops the descent.
func walkTagged(v reflect.Value, path string, visit func(v reflect.Value, path string) bool) {
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() || visit(v, path) {
			return
		}
		walkTagged(v.Elem(), path, visit)
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			walkTagged(v.Index(i), path+"."+strconv.Itoa(i), visit)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			tag, ok := v.Type().Field(i).Tag.Lookup("st")
			if !ok {
				continue
			}
			walkTagged(v.Field(i), strings.TrimPrefix(path+"."+strings.Split(tag, ",")[0], "."), visit)
		}
	}
}

// expectedTensors lists the checkpoint names and shapes an unloaded model
// asks for, as "name d0,d1,..." lines.
func expectedTensors(v reflect.Value, path string, out *[]string) {
	walkTagged(v, path, func(v reflect.Value, path string) bool {
		add := func(name string, shape ...int) {
			s := make([]string, len(shape))
			for i, d := range shape {
				s[i] = strconv.Itoa(d)
			}
			*out = append(*out, path+"."+name+" "+strings.Join(s, ","))
		}
		switch m := v.Interface().(type) {
		case *nn.Linear:
			add("weight", m.Out, m.In)
			if m.HasBias {
				add("bias", m.Out)
			}
		case *nn.Conv2D:
			add("weight", m.Out, m.In, m.Kernel, m.Kernel)
			if m.HasBias {
				add("bias", m.Out)
			}
		case *nn.GroupNorm:
			add("weight", m.Channels)
			add("bias", m.Channels)
		case *nn.LayerNorm:
			if m.Affine {
				add("weight", m.Dim)
				add("bias", m.Dim)
			}
		default:
			return false
		}
		return true
	})
}

// TestRealConfigs builds the model of every real Hub UNet config and checks
// that it asks for exactly the tensors (names and shapes) diffusers'
// UNet2DConditionModel has for that config.
func TestRealConfigs(t *testing.T) {
	var golden struct {
		Configs map[string]struct {
			Tensors int
			Params  int64
			Sha256  string
		}
	}
	testutil.LoadJSON(t, testutil.Golden("unet_configs.json"), &golden)
	require.NotEmpty(t, golden.Configs, "no configs in unet_configs.json")
	for repo, want := range golden.Configs {
		t.Run(repo, func(t *testing.T) {
			cfg, err := ReadConfig(testutil.Testdata("configs", repo, "unet", "config.json"))
			require.NoError(t, err)
			m, err := New(cfg)
			require.NoError(t, err)
			var lines []string
			expectedTensors(reflect.ValueOf(m), "", &lines)
			sort.Strings(lines)
			var params int64
			for _, l := range lines {
				n := int64(1)
				for _, d := range strings.Split(strings.Fields(l)[1], ",") {
					v, _ := strconv.Atoi(d)
					n *= int64(v)
				}
				params += n
			}
			h := sha256.Sum256([]byte(strings.Join(lines, "\n")))
			got := fmt.Sprintf("%d tensors, %d params, %s", len(lines), params, hex.EncodeToString(h[:]))
			exp := fmt.Sprintf("%d tensors, %d params, %s", want.Tensors, want.Params, want.Sha256)
			assert.Equal(t, exp, got, "model layout: ours, then diffusers'")
		})
	}
}
