// Package config reads the JSON files of a diffusers/transformers checkpoint:
// model_index.json (which pipeline class and which components) and each
// component's config.json (decoded into a typed struct owned by the model
// package that needs it).
//
// Errors name the file and, where the decoder knows it, the offending key, so
// a broken or unexpected config can be found without a debugger. Unknown keys
// are accepted (diffusers configs carry many keys a given model ignores);
// values of the wrong type are not.
//
// The package knows nothing about models: defaults, validation of values and
// the meaning of keys belong to the model packages.
package config
