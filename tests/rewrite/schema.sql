SELECT * FROM FA JOIN dbo.AD a ON 1 = 1 JOIN [x y].sStr s ON 1 = 1
