"""Images in and out: decoding, folder imports and their cache, dataset ids, splits, augmentation, sampling."""
