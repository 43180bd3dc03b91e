package tensor

import (
	"sync"
)

// A model's forward pass allocates and drops gigabytes of activations per
// image. Fresh memory costs a page fault and the kernel's zeroing per 4 KiB,
// and Go's scavenger hands freed heap back to the OS between collections,
// so the same memory is faulted in again and again. The buffer pool keeps
// the buffers that forward passes give back (Recycle, putScratch) and hands
// them out again (New, Scratch, getScratch). Unlike a sync.Pool it is not
// emptied by the garbage collector; it holds at most a limit of bytes and,
// over it, drops the buffers of the length used least recently.

// DefaultScratchLimit is the pool's initial limit: enough for the
// intermediates of a UNet block at 1024×1024.
const DefaultScratchLimit = 512 << 20

var scratch = bufferPool{limit: DefaultScratchLimit, free: map[int]*bufferList{}}

type bufferPool struct {
	mu    sync.Mutex
	free  map[int]*bufferList // by length (equal to capacity)
	bytes int64               // held in free
	limit int64
	tick  uint64
}

type bufferList struct {
	bufs    []*[]float32
	lastUse uint64
}

// SetScratchLimit sets how many bytes of given-back buffers the pool may
// hold (at most; 0 turns pooling off) and drops what is over it. It
// returns the previous limit.
func SetScratchLimit(bytes int64) int64 {
	p := &scratch
	p.mu.Lock()
	defer p.mu.Unlock()
	prev := p.limit
	p.limit = max(bytes, 0)
	p.evict(0)
	return prev
}

// Scratch returns a tensor of the given shape for an intermediate result,
// made from a buffer given back with Recycle when one of the same size is
// free. Its contents are undefined: the caller writes every element before
// reading any (the Into operations do).
func Scratch(shape ...int) *Dense {
	n := numel(shape)
	b, _ := scratch.get(n)
	return FromSlice(*b, shape...)
}

// Recycle gives the buffers of tensors the caller has finished with back to
// the pool, for New and Scratch to hand out again. The caller must hold the
// only use of each: neither it nor a view sharing its data (Reshape, F32)
// may be read or written afterwards. nil tensors are skipped, and a buffer
// given back twice is kept once.
func Recycle(ts ...*Dense) {
	for _, t := range ts {
		if t == nil {
			continue
		}
		if d := F32(t); len(d) > 0 {
			d = d[:len(d):len(d)]
			scratch.put(&d)
		}
	}
}

// minPooled is the smallest buffer (in elements) the pool keeps: smaller
// ones are cheaper to allocate than to look up.
const minPooled = 1024

// Replace recycles old and returns new, its successor computed from it:
// h = Replace(h, f(h)) for a chain of intermediates the caller owns. A
// successor sharing old's data (an operation done in place) keeps it.
func Replace(old, new *Dense) *Dense {
	if o, n := F32(old), F32(new); len(o) > 0 && (len(n) == 0 || &o[0] != &n[0]) {
		Recycle(old)
	}
	return new
}

// get returns a buffer of length and capacity n (contents undefined) and
// whether it was freshly allocated (and so zero).
func (p *bufferPool) get(n int) (*[]float32, bool) {
	if n < minPooled {
		b := make([]float32, n)
		return &b, true
	}
	p.mu.Lock()
	if l := p.free[n]; l != nil && len(l.bufs) > 0 {
		b := l.bufs[len(l.bufs)-1]
		l.bufs[len(l.bufs)-1] = nil
		l.bufs = l.bufs[:len(l.bufs)-1]
		p.tick++
		l.lastUse = p.tick
		p.bytes -= 4 * int64(n)
		p.mu.Unlock()
		return b, false
	}
	p.mu.Unlock()
	b := make([]float32, n)
	return &b, true
}

// put keeps b for a later get of its capacity, when the limit allows.
func (p *bufferPool) put(b *[]float32) {
	n := cap(*b)
	size := 4 * int64(n)
	if n < minPooled {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if size > p.limit {
		return
	}
	*b = (*b)[:n]
	l := p.free[n]
	if l != nil && l.holds(*b) {
		return // given back twice: keep one
	}
	p.evict(size)
	if l = p.free[n]; l == nil {
		l = &bufferList{}
		p.free[n] = l
	}
	l.bufs = append(l.bufs, b)
	p.tick++
	l.lastUse = p.tick
	p.bytes += size
}

// holds reports whether b's buffer is already in the list.
func (l *bufferList) holds(b []float32) bool {
	for _, f := range l.bufs {
		if &(*f)[0] == &b[0] {
			return true
		}
	}
	return false
}

// evict drops free buffers, those of the least recently used length first,
// until room more bytes fit under the limit.
func (p *bufferPool) evict(room int64) {
	for p.bytes+room > p.limit {
		var oldest *bufferList
		key := 0
		for n, l := range p.free {
			if len(l.bufs) > 0 && (oldest == nil || l.lastUse < oldest.lastUse) {
				oldest, key = l, n
			}
		}
		if oldest == nil {
			return
		}
		oldest.bufs[len(oldest.bufs)-1] = nil
		oldest.bufs = oldest.bufs[:len(oldest.bufs)-1]
		p.bytes -= 4 * int64(key)
		if len(oldest.bufs) == 0 {
			delete(p.free, key)
		}
	}
}
