"""Layer 5: what a reader sees: figures by topic, the HTML report, verdicts on HMIC's
recommendations, the words and units of printouts.
"""
