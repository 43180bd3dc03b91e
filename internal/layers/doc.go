// Package layers holds no code: its tests keep the module's layering
// honest (dependencies point down only) and its pipeline functions small.
package layers
