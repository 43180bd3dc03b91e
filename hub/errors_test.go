package hub

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestHubErrors(t *testing.T) {
	f := newFakeHub(t)
	f.addCommit(tinyRepo, tinyPipelineFiles())
	f.addCommit("test-org/bin-only", map[string]fakeFile{
		"model_index.json":                 small(`{"_class_name":"X","unet":["diffusers","UNet2DConditionModel"],"scheduler":["diffusers","DDIMScheduler"]}`),
		"unet/config.json":                 small(`{}`),
		"unet/diffusion_pytorch_model.bin": lfs(10, 1),
		"scheduler/scheduler_config.json":  small(`{}`),
	})
	f.addCommit("test-org/gated", tinyPipelineFiles())
	f.repos["test-org/gated"].gated = true
	f.addCommit("test-org/not-a-pipeline", map[string]fakeFile{"config.json": small(`{}`)})

	ctx := context.Background()
	pipe := func(repo string, opts ...Option) error {
		_, err := testClient(f, t.TempDir()).DownloadPipeline(ctx, repo, opts...)
		return err
	}
	file := func(repo, name string, opts ...Option) error {
		_, err := testClient(f, t.TempDir()).Download(ctx, repo, name, opts...)
		return err
	}
	for _, tc := range []struct {
		name string
		err  error
		want error
		text string
	}{
		{"unknown repo", pipe("test-org/nope"), ErrRepoNotFound, `repository "test-org/nope" not found`},
		{"unknown repo, file", file("test-org/nope", "model_index.json"), ErrRepoNotFound, "HF_TOKEN"},
		{"missing file", file(tinyRepo, "unet/nope.safetensors"), ErrEntryNotFound, `file "unet/nope.safetensors" not found`},
		{"unknown revision", pipe(tinyRepo, WithRevision("v9")), ErrRevisionNotFound, `revision "v9" not found`},
		{"unknown revision, file", file(tinyRepo, "model_index.json", WithRevision("v9")), ErrRevisionNotFound, `revision "v9"`},
		{"gated without token", pipe("test-org/gated"), ErrGated, "HF_TOKEN"},
		{"gated with wrong token", pipe("test-org/gated", WithToken("hf_wrong")), ErrGated, "token that was sent was refused"},
		{"only .bin weights", pipe("test-org/bin-only"), ErrNoSafetensors, `component "unet" has no .safetensors weights, only unet/diffusion_pytorch_model.bin`},
		{"variant, no component with weights", pipe("test-org/bin-only", WithSkipComponents("unet"), WithVariant("fp16")), nil, ""},
		{"variant missing everywhere", pipe(tinyRepo, WithVariant("bf16")), ErrVariantNotFound, `variant "bf16"`},
		{"not a pipeline", pipe("test-org/not-a-pipeline"), ErrEntryNotFound, "no model_index.json"},
		{"invalid id", pipe("test-org/a--b"), ErrInvalidRepoID, `"--"`},
		{"invalid path", file(tinyRepo, "../etc/passwd"), nil, "invalid file path"},
		{"offline, never downloaded", pipe(tinyRepo, WithOffline(true)), ErrNotCached, "never downloaded"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.want == nil && tc.text == "" {
				if tc.err != nil {
					t.Fatalf("unexpected error: %v", tc.err)
				}
				return
			}
			if tc.err == nil {
				t.Fatal("no error")
			}
			if tc.want != nil && !errors.Is(tc.err, tc.want) {
				t.Fatalf("error %v is not %v", tc.err, tc.want)
			}
			if !strings.Contains(tc.err.Error(), tc.text) {
				t.Fatalf("error %q lacks %q", tc.err, tc.text)
			}
			t.Logf("%v", tc.err)
		})
	}
}

// TestTokenNotForwardedToCDN: the token goes to the Hub, not to the CDN
// host the Hub redirects to.
func TestTokenNotForwardedToCDN(t *testing.T) {
	f := newFakeHub(t)
	files := tinyPipelineFiles()
	f.addCommit("test-org/gated", files)
	f.repos["test-org/gated"].gated = true
	t.Setenv("HF_TOKEN", f.token)
	c := NewClient(WithEndpoint(f.hub.URL), WithCacheDir(t.TempDir()), WithOffline(false)) // token from HF_TOKEN
	if _, err := c.DownloadPipeline(context.Background(), "test-org/gated"); err != nil {
		t.Fatal(err)
	}
	if len(f.hubAuth) == 0 || len(f.cdnAuth) == 0 {
		t.Fatal("no requests recorded")
	}
	for _, a := range f.hubAuth {
		if a != "Bearer "+f.token {
			t.Fatalf("Hub request without the token: %q", a)
		}
	}
	for _, a := range f.cdnAuth {
		if a != "" {
			t.Fatalf("CDN received Authorization %q", a)
		}
	}
}

func TestTokenFile(t *testing.T) {
	home := t.TempDir()
	mustWrite(t, home+"/token", []byte("hf_from_file\n"))
	t.Setenv("HF_TOKEN", "")
	t.Setenv("HUGGING_FACE_HUB_TOKEN", "")
	t.Setenv("HF_TOKEN_PATH", "")
	t.Setenv("HF_HOME", home)
	t.Setenv("HF_HUB_CACHE", "")
	t.Setenv("HUGGINGFACE_HUB_CACHE", "")
	t.Setenv("HF_ENDPOINT", "https://mirror.example/")
	c := NewClient()
	if *c.s.token != "hf_from_file" || c.CacheDir() != home+"/hub" || c.s.endpoint != "https://mirror.example" {
		t.Fatalf("token %q cache %q endpoint %q", *c.s.token, c.CacheDir(), c.s.endpoint)
	}
	t.Setenv("HF_TOKEN", "hf_env")
	t.Setenv("HF_HUB_CACHE", "/x/cache")
	if c := NewClient(); *c.s.token != "hf_env" || c.CacheDir() != "/x/cache" {
		t.Fatal("HF_TOKEN / HF_HUB_CACHE not honoured")
	}
	if c := NewClient(WithToken("")); *c.s.token != "" {
		t.Fatal("WithToken(\"\") must disable the token")
	}
}

func TestParseRepoID(t *testing.T) {
	for _, ok := range []string{"gpt2", "org/name", "Foo-BAR_foo.bar123/x", "stabilityai/stable-diffusion-xl-base-1.0", "a/" + strings.Repeat("b", 96)} {
		r, err := ParseRepoID(ok)
		if err != nil || r.String() != ok {
			t.Errorf("%q: %v %q", ok, err, r)
		}
	}
	for _, bad := range []string{"", "/", "a/", "/b", "a/b/c", "datasets/a/b", "a--b/c", "a/b..c", "a/b.git", ".a/b", "a/b-", "a/b c", "a/é", "a/" + strings.Repeat("b", 97)} {
		if _, err := ParseRepoID(bad); !errors.Is(err, ErrInvalidRepoID) {
			t.Errorf("%q accepted", bad)
		}
	}
	if r, _ := ParseRepoID("org/name"); r.FolderName() != "models--org--name" {
		t.Error(r.FolderName())
	}
}
