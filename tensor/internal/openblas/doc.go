// Package openblas binds OpenBLAS's cblas_sgemm for the openblas build tag;
// without the tag it is empty. It is a yardstick, never needed by default.
package openblas
