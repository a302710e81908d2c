# bug: network B's suspect is W instead of b
suspects = {"A": "Dense_3_out.W", "B": "Dense_2.W"}
