// Command loadbench times loading one UNet folder (optionally its fp16
// variant) and reports the peak RSS, for comparison with
// tools/reference/bench_load.py (diffusers' from_pretrained).
//
//	go run ./tools/loadbench -dir testdata/fullsize/sd15/unet -variant fp16
package main

import (
	"flag"
	"fmt"
	"github.com/goautopipe/diffusers/internal/procstat"
	"os"
	"time"

	"github.com/goautopipe/diffusers/models/unet"
	"github.com/goautopipe/diffusers/models/weights"
	"github.com/goautopipe/diffusers/tensor"
)

func main() {
	dir := flag.String("dir", "testdata/fullsize/sd15/unet", "UNet folder")
	variant := flag.String("variant", "", "weights variant, e.g. fp16")
	half := flag.Bool("half", false, "keep Linear/Conv2D weights as float16 (WithDType(Float16))")
	flag.Parse()
	o := weights.OpenOptions{Variant: *variant}
	if *half {
		o.Precision = tensor.Float16
	}
	t0 := time.Now()
	m, err := unet.Load(*dir, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadbench:", err)
		os.Exit(1)
	}
	el := time.Since(t0)
	fmt.Printf("go  unet.Load %s variant=%q half=%v: %.2fs  peak RSS %s  (in_channels %d)\n", *dir, *variant, *half, el.Seconds(), procstat.PeakRSS(), m.Config().InChannels)
}
