"""Spider (Yu et al., EMNLP 2018; CC BY-SA 4.0) benchmark helpers: load the PostgreSQL port, ask, score, report."""
