#!/bin/sh
# Regenerates the README's pictures of the demo model (run from the repository root).
set -e
go run ./examples/text2img -prompt "a red circle on a blue background" -out docs/demo/first-command.png
go build -o /tmp/autopipe-docs ./cmd/autopipe
i=0
while read -r p; do
	/tmp/autopipe-docs text2img -p "$p" -s 0 -q -o "/tmp/autopipe-docs-$i.png"
	i=$((i + 1))
done < docs/demo/prompts.txt
go run ./tools/demogrid -out docs/demo/more.png /tmp/autopipe-docs-*.png
