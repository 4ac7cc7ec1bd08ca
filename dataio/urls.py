from django.urls import path

from dataio import views

urlpatterns = [
    path("import/", views.import_start, name="import_start"),
    path("import/<int:pk>/mapping/", views.import_mapping, name="import_mapping"),
    path("import/<int:pk>/values/", views.import_values, name="import_values"),
    path("import/<int:pk>/preview/", views.import_preview, name="import_preview"),
    path("import/<int:pk>/", views.import_job, name="import_job"),
    path("import/<int:pk>/rejects.<str:fmt>", views.import_rejects, name="import_rejects"),
    path("exports/<str:entity>.<str:fmt>", views.export_table, name="export_table"),
]
