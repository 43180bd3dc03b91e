package engine

import "github.com/goautopipe/diffusers/pipelines"

// ClassInfo is what a family's class knows of itself: its task and its
// diffusers class name. Families embed it in their pipelines.Class.
type ClassInfo struct {
	Task  Task
	Class string
}

// Name returns the diffusers class name (pipelines.Class).
func (c ClassInfo) Name() string { return c.Class }

// RegisterFamily registers a family with one class per task, named by
// names (text-to-image, image-to-image, inpainting; "" for none) and built
// by class.
func RegisterFamily(family string, names [3]string, class func(ClassInfo) pipelines.Class) {
	f := pipelines.Family{Name: family}
	slots := [3]*pipelines.Class{&f.Text2Image, &f.Image2Image, &f.Inpainting}
	for i, name := range names {
		if name != "" {
			*slots[i] = class(ClassInfo{Task: Text2Image + Task(i), Class: name})
		}
	}
	pipelines.Register(f)
}
