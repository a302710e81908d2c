# bug: names the gradients (dW, db) instead of the parameters as printed
suspects = {"A": "Dense_3_out.dW", "B": "Dense_2.db"}
