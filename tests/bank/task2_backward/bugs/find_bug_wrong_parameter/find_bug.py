# bug: network B's suspect is W instead of b
suspects = {"A": "Dense_2.W", "B": "Dense_3_out.W"}
