//go:build !unix

package config

const openNonblock = 0
