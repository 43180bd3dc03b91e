package hub

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
				require.NoError(t, tc.err)
				return
			}
			require.Error(t, tc.err)
			if tc.want != nil {
				require.ErrorIs(t, tc.err, tc.want)
			}
			require.ErrorContains(t, tc.err, tc.text, "error %q lacks %q", tc.err, tc.text)
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
	_, err := c.DownloadPipeline(context.Background(), "test-org/gated")
	require.NoError(t, err)
	require.NotEmpty(t, f.hubAuth, "no requests recorded")
	require.NotEmpty(t, f.cdnAuth, "no requests recorded")
	for _, a := range f.hubAuth {
		require.Equal(t, "Bearer "+f.token, a, "Hub request without the token: %q", a)
	}
	for _, a := range f.cdnAuth {
		require.Empty(t, a, "CDN received Authorization %q", a)
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
	require.Equal(t, "hf_from_file", *c.s.token, "token %q cache %q endpoint %q", *c.s.token, c.CacheDir(), c.s.endpoint)
	require.Equal(t, home+"/hub", c.CacheDir(), "token %q cache %q endpoint %q", *c.s.token, c.CacheDir(), c.s.endpoint)
	require.Equal(t, "https://mirror.example", c.s.endpoint, "token %q cache %q endpoint %q", *c.s.token, c.CacheDir(), c.s.endpoint)
	t.Setenv("HF_TOKEN", "hf_env")
	t.Setenv("HF_HUB_CACHE", "/x/cache")
	c = NewClient()
	require.Equal(t, "hf_env", *c.s.token, "HF_TOKEN / HF_HUB_CACHE not honoured")
	require.Equal(t, "/x/cache", c.CacheDir(), "HF_TOKEN / HF_HUB_CACHE not honoured")
	c = NewClient(WithToken(""))
	require.Empty(t, *c.s.token, "WithToken(\"\") must disable the token")
}

func TestParseRepoID(t *testing.T) {
	for _, ok := range []string{"gpt2", "org/name", "Foo-BAR_foo.bar123/x", "stabilityai/stable-diffusion-xl-base-1.0", "a/" + strings.Repeat("b", 96)} {
		r, err := ParseRepoID(ok)
		assert.NoError(t, err, "%q: %v %q", ok, err, r)
		assert.Equal(t, ok, r.String(), "%q: %v %q", ok, err, r)
	}
	for _, bad := range []string{"", "/", "a/", "/b", "a/b/c", "datasets/a/b", "a--b/c", "a/b..c", "a/b.git", ".a/b", "a/b-", "a/b c", "a/é", "a/" + strings.Repeat("b", 97)} {
		_, err := ParseRepoID(bad)
		assert.ErrorIs(t, err, ErrInvalidRepoID, "%q accepted", bad)
	}
	r, _ := ParseRepoID("org/name")
	assert.Equal(t, "models--org--name", r.FolderName(), r.FolderName())
}
