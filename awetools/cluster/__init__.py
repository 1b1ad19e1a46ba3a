"""K-means over segment embeddings, soft pseudo-word labels, and cluster quality.

Used by ``awe cluster`` and by Cluster+Skipgram training: hard cluster ids stand in for
word types, soft labels (a softmax over the nearest centroids) for word identity with
its uncertainty.
"""
