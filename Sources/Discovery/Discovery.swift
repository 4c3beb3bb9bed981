// Placeholder so the target builds; replaced by the layer's real code.
