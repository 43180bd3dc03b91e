// Package unet is diffusers' UNet2DConditionModel (Stable Diffusion 1.x/2.x,
// inpainting and SDXL UNets), built entirely from the component's
// config.json and computed in float32 on package tensor.
//
//	m, err := unet.Load("ckpt/unet", weights.OpenOptions{})
//	eps, err := m.Forward(ctx, latents, []float32{t}, textHidden, &unet.AddedCond{TextEmbeds: pooled, TimeIDs: ids})
//
// Config reading follows diffusers: absent keys take UNet2DConditionModel's
// defaults (DefaultConfig); int-or-list keys (attention_head_dim,
// num_attention_heads, cross_attention_dim, layers_per_block,
// transformer_layers_per_block, only_cross_attention) are expanded per
// block; the head count is num_attention_heads, or attention_head_dim when
// that is absent (SD 1.x/2.x configs store the head count there). Block
// types are looked up by their config names in constructor tables:
// CrossAttnDownBlock2D, DownBlock2D, UNetMidBlock2DCrossAttn (or a null
// mid_block_type), CrossAttnUpBlock2D, UpBlock2D.
//
// Supported conditioning: positional time embedding (time_proj +
// time_embedding) and addition_embed_type "text_time" (SDXL: time_ids
// embedded with Timesteps(addition_time_embed_dim), concatenated after
// text_embeds and projected by add_embedding). upcast_attention has no effect
// as everything runs in float32.
//
// Not supported (Load returns an error naming the key): other block types,
// class_embed_type / num_class_embeds, addition_embed_type other than
// "text_time", encoder_hid_dim(_type), time_embedding_type other than
// "positional", resnet_time_scale_shift other than "default",
// dual_cross_attention, resnet_skip_time_act, time_embedding_act_fn,
// timestep_post_act, class_embeddings_concat,
// cross_attention_norm, reverse_transformer_layers_per_block,
// mid_block_only_cross_attention, attention_type other than "default".
// Forward has no attention masks, ControlNet residuals, cross-attention
// kwargs or FreeU.
//
// Forward validates its inputs (sample channels, batch sizes, timestep count,
// encoder width against cross_attention_dim, text_embeds/time_ids widths
// against projection_class_embeddings_input_dim) and returns errors rather
// than panicking; it checks ctx between blocks. Activations are released as
// soon as they are consumed; only the skip connections live across blocks.
// Forward does not modify the model, so one loaded Model can serve
// concurrent calls.
package unet
