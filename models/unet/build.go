package unet

import "fmt"

// buildDown lays out the down blocks; dims collects the cross-attention
// widths of the blocks that attend to the text.
func (m *Model) buildDown(base blockArgs, dims map[int]bool) error {
	cfg, r, boc := m.cfg, m.r, m.cfg.BlockOutChannels
	out := boc[0]
	for i, t := range cfg.DownBlockTypes {
		a := base
		a.in, a.out = out, boc[i]
		out = boc[i]
		a.layers, a.tLayers = r.layers[i], r.tLayers[i]
		a.addSampler = i < r.nBlocks-1
		a.heads, a.crossDim, a.onlyCross = r.heads[i], r.crossDim[i], r.onlyCross[i]
		a.downPadding = cfg.DownsamplePadding
		a.outputScale = float32(cfg.ResnetOutScaleFactor)
		b, err := downBlocks[t](a)
		if err != nil {
			return fmt.Errorf("down_blocks.%d (%s): %w", i, t, err)
		}
		if b.Attentions != nil {
			dims[a.crossDim] = true
		}
		m.DownBlocks = append(m.DownBlocks, b)
	}
	return nil
}

// buildMid lays out the mid block, if the config has one.
func (m *Model) buildMid(base blockArgs, dims map[int]bool) error {
	cfg, r := m.cfg, m.r
	if cfg.MidBlockType == nil {
		return nil
	}
	last := r.nBlocks - 1
	a := base
	a.in = cfg.BlockOutChannels[last]
	a.layers, a.tLayers = 1, r.tLayers[last]
	a.heads, a.crossDim = r.heads[last], r.crossDim[last]
	a.outputScale = float32(cfg.MidBlockScaleFactor)
	mb, err := midBlocks[*cfg.MidBlockType](a)
	if err != nil {
		return fmt.Errorf("mid_block (%s): %w", *cfg.MidBlockType, err)
	}
	if mb.Attentions != nil {
		dims[a.crossDim] = true
	}
	m.MidBlock = mb
	return nil
}

// buildUp lays out the up blocks, mirroring the down blocks' settings.
func (m *Model) buildUp(base blockArgs, dims map[int]bool) error {
	cfg, r, boc := m.cfg, m.r, m.cfg.BlockOutChannels
	n := r.nBlocks
	out := boc[n-1]
	for i, t := range cfg.UpBlockTypes {
		j := n - 1 - i // index into the per-down-block lists, reversed
		a := base
		a.prevOut = out
		a.out = boc[j]
		out = boc[j]
		a.in = boc[max(j-1, 0)]
		a.layers, a.tLayers = r.layers[j]+1, r.tLayers[j]
		a.addSampler = i < n-1
		a.heads, a.crossDim, a.onlyCross = r.heads[j], r.crossDim[j], r.onlyCross[j]
		a.outputScale = float32(cfg.ResnetOutScaleFactor)
		b, err := upBlocks[t](a)
		if err != nil {
			return fmt.Errorf("up_blocks.%d (%s): %w", i, t, err)
		}
		if b.Attentions != nil {
			dims[a.crossDim] = true
		}
		m.UpBlocks = append(m.UpBlocks, b)
	}
	return nil
}
