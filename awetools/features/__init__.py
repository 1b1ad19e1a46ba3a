"""Frame-level features (Kaldi-compatible MFCC and filterbanks), CMVN and segment cutting."""
