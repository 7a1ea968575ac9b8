"""The Hugging Face Space: this folder alone is what `hf upload` sends, and Spaces runs
`python app.py` in it. From the repository's root it is also the package `demo`, which
the tests, the benchmarks and `lenet` (for `demo.reading`) import; nothing here runs on
import.
"""
