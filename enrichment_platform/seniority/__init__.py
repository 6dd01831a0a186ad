"""The seniority model service: the gRPC server (`seniority-model serve`), the scikit-learn model, its
training titles (vocabulary and artifact are data files in resources/) and the scale 1..7."""
