"""EU low-value imports: the H7 customs declaration data set (Annex B column H7), read as XML."""
