package tensor

import "os"

// fullTests reports whether heavy opt-in checks should run.
func fullTests() bool { return os.Getenv("AUTOPIPE_FULL") == "1" }
