"""The item catalogue (事项清单): what help, which agency, which materials, what time limit."""
